"""Sphinx configuration: ``make docs`` (= sphinx-build -W, warnings are errors).

The look is the scientific Python ecosystem's (scikit-learn, imbalanced-learn, skglm):
pydata-sphinx-theme, a sphinx-gallery of examples, copy buttons on code blocks. Nothing is
fetched at build time (no intersphinx inventories), so the site builds offline.
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "docs" / "sphinxext"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")

import skfmnist  # noqa: E402

project = "skfmnist"
author = "skfmnist developers"
copyright = "2026, skfmnist developers"
release = version = skfmnist.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
    "sphinx_copybutton",
    "sphinx_design",
    "generated_sections",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "sg_execution_times.rst", "auto_examples/*.ipynb", "sphinxext"]
autosummary_generate = True
autodoc_default_options = {"members": False, "inherited-members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
myst_heading_anchors = 3
# Commands and code keep their "--" and quotes as typed (docutils would print "--only" as "–only").
smartquotes = False
suppress_warnings = ["config.cache"]

html_theme = "pydata_sphinx_theme"
html_title = f"skfmnist {version}"
html_static_path = ["_static"]
html_css_files = ["skfmnist.css"]
html_theme_options = {
    "navbar_align": "left",
    "header_links_before_dropdown": 5,
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc", "sourcelink"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version", "theme-version"],
}
# Pages of one topic have no left sidebar (as on scikit-learn's site); the API and gallery keep it.
html_sidebars = {"index": [], "install": [], "results": [], "conformance": [], "cli": [],
                 "serving": [], "reliability": [], "scaling": []}

# Copy the code, not the prompts or the output of shell and Python sessions.
copybutton_prompt_text = r">>> |\.\.\. |\$ "
copybutton_prompt_is_regexp = True

sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "abort_on_example_error": True,
    "default_thumb_file": None,
}
