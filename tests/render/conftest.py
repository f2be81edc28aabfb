from __future__ import annotations

import pytest

from accelerator.model import Project

from .render_fixtures import governed_project


@pytest.fixture
def project() -> Project:
    return governed_project()
