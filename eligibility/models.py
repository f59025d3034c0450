"""Dated parameters: the amounts, switches and thresholds the monthly run uses (INTERFACES §1).

A parameter's value holds from its ``valid_from`` until the next value of the same name. That end
is *derived*, but it is stored (``valid_to`` = the next ``valid_from`` minus one day, NULL for
the last) so that "the value on day D" is one range lookup, now or as known at any batch. Every
change, a ``parameters`` file or an edit in the admin, is learned in a ``FeedBatch`` and writes new
versions (a neighbour whose derived end moved gets one too); nothing is updated in place except
``superseded_in``. A published month records the batch it read, and so keeps its values.
"""

from django.db import models

from aldis.feeds.models import VersionedRecord
from eligibility.parameters import CHOICES

CURRENT = models.Q(superseded_in__isnull=True)


class ParameterValue(VersionedRecord):
    name = models.CharField(max_length=64, choices=CHOICES)
    value = models.CharField(max_length=20, help_text="as sent: true/false, or a decimal with a dot")
    legal_ref = models.CharField(max_length=255, null=True, blank=True, help_text="the act that sets it")

    class Meta:
        ordering = ["name", "valid_from", "id"]
        verbose_name = "parameter value"
        constraints = [
            models.UniqueConstraint(
                fields=["name", "valid_from"], condition=CURRENT, name="parametervalue_one_current"
            ),
            models.CheckConstraint(condition=models.Q(valid_from__isnull=False), name="parametervalue_dated"),
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=models.F("valid_from")),
                name="parametervalue_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} = {self.value} from {self.valid_from}"
