from __future__ import annotations

import pytest
from render_fixtures import governed_project

from accelerator.model import Project


@pytest.fixture
def project() -> Project:
    return governed_project()
