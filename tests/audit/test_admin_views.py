"""``AuditedViewAdmin``: the one way an admin page records that staff opened a personal record
(each page's own event is tested with its admin)."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from audit.admin_views import AuditedViewAdmin


def test_an_audited_admin_must_name_its_event():
    with pytest.raises(ImproperlyConfigured, match="names no view_action"):

        class Unnamed(AuditedViewAdmin):
            pass
