"""Package layout: minimod, inspector and lessons, with the top-level assets/ shipped as inspector/assets."""

from setuptools import find_namespace_packages, find_packages, setup

TOP_LEVEL = ("minimod", "inspector", "lessons")

# Every folder under assets/ becomes a data-only package, so all of its files are shipped.
ASSET_PACKAGES = ["inspector.assets"] + [
    f"inspector.assets.{name}"
    for name in find_namespace_packages(where="assets")
    if name.split(".")[0] != "readme"  # README images are for the repository page, not the app
]

setup(
    packages=[name for name in find_packages() if name.partition(".")[0] in TOP_LEVEL] + ASSET_PACKAGES,
    package_dir={"inspector.assets": "assets"},
    package_data={
        **{name: ["*"] for name in ASSET_PACKAGES},
        "lessons": ["**/*.md", "**/*.py", "**/*.json"],
    },
    exclude_package_data={"": ["__pycache__/*", "*.pyc"]},
)
