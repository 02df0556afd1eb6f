"""Views of the practitioner workspace, one module per area."""
