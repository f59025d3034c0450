"""The feed API's shared field, and its error bodies for the OpenAPI schema (the exception
handler and the view build the bodies; these serializers only describe them).

Component names are spelled out (``ref_name``): drf-spectacular names a component after its
class, and every API's nested ``Input``/``Output`` would otherwise collide.
"""

from datetime import date
from typing import Any

from rest_framework import serializers

from aldis.months import ISO_DATE


class IsoDateField(serializers.DateField):
    """A date written exactly ``YYYY-MM-DD`` (INTERFACES §1), and a real one."""

    default_error_messages = {"invalid": "Not a real date written YYYY-MM-DD."}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(input_formats=["%Y-%m-%d"], **kwargs)

    def to_internal_value(self, value: Any) -> date:
        if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
            self.fail("invalid")
        return super().to_internal_value(value)


class _ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="stable and machine-readable, e.g. `permission_denied`")
    message = serializers.CharField(help_text="for a person reading the integration's log")
    details = serializers.DictField(help_text="depends on the code; `{}` when there is nothing to add")

    class Meta:
        ref_name = "FeedApiErrorBody"


class ErrorSerializer(serializers.Serializer):
    """``{"error": {"code", "message", "details"}}``: every 4xx answer of the API (INTERFACES §3)."""

    error = _ErrorSerializer()

    class Meta:
        ref_name = "FeedApiError"


class _InvalidSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=["invalid"])
    message = serializers.CharField()
    details = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text='the parameter at fault and what is wrong with it, e.g. `{"as_of": [...]}`',
    )

    class Meta:
        ref_name = "FeedInvalidErrorBody"


class InvalidSerializer(serializers.Serializer):
    """400 for a request that is not valid (``as_of`` missing or not a date)."""

    error = _InvalidSerializer()

    class Meta:
        ref_name = "FeedInvalidError"


class _BadRowSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text="line of the file, the header being line 1")
    column = serializers.CharField(help_text="the column at fault; empty for a whole-row problem")
    value = serializers.CharField(help_text="the value at fault (its first 80 characters)")
    reason = serializers.CharField()

    class Meta:
        ref_name = "FeedBadRow"


class _RejectedDetailsSerializer(serializers.Serializer):
    batch = serializers.IntegerField(help_text="the rejected batch, kept and audited")
    error_count = serializers.IntegerField(help_text="how many bad rows the file has")
    # The body's key is ``errors``; the metaclass moves declared fields off the class, so this
    # does not shadow ``Serializer.errors`` at run time (mypy only sees the class attribute).
    errors = _BadRowSerializer(  # type: ignore[assignment]
        many=True, help_text="every bad row, in line order (at most 100 000)"
    )

    class Meta:
        ref_name = "FeedRejectedDetails"


class _RejectedSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=["feed_rejected"])
    message = serializers.CharField()
    details = _RejectedDetailsSerializer()

    class Meta:
        ref_name = "FeedRejectedErrorBody"


class RejectedSerializer(serializers.Serializer):
    """400 for a file with bad rows: nothing of it was applied; every bad row is listed."""

    error = _RejectedSerializer()

    class Meta:
        ref_name = "FeedRejectedError"
