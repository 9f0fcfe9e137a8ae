"""Tests for the inspector package."""
