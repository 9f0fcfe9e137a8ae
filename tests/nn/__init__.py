"""Tests for minimod.nn."""
