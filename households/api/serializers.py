"""The status endpoint's body and answer: ``households.selectors.person_status`` with its words
(``households.texts.status_texts``), money as two-decimal strings and dates as ISO strings.

Component names are spelled out (``ref_name``) so they do not collide with other APIs' nested
serializers in the OpenAPI schema.
"""

from typing import Any

from rest_framework import serializers

from aldis.identifiers import normalise_personal_code


class PersonalCodeField(serializers.CharField):
    """A personal code, ``DDMMYY-NNNNN`` or 11 digits, checked by ``aldis.identifiers``."""

    def to_internal_value(self, data: Any) -> str:
        from django.core.exceptions import ValidationError

        text = super().to_internal_value(data)
        try:
            return normalise_personal_code(text)
        except ValidationError as error:
            raise serializers.ValidationError(error.messages) from None


class StatusInputSerializer(serializers.Serializer):
    personal_code = PersonalCodeField(
        max_length=12, help_text="the signed-in person's personal code, with or without the hyphen"
    )
    language = serializers.ChoiceField(
        choices=["lv", "en"], default="lv", help_text="the language of the texts (default Latvian)"
    )

    class Meta:
        ref_name = "PersonStatusInput"


class SourceSerializer(serializers.Serializer):
    source = serializers.CharField(help_text="the register, e.g. `social_status`, `disability`, `income`")  # type: ignore[assignment]  # a field named "source" (popped by DRF's metaclass)
    text = serializers.CharField()
    valid_from = serializers.DateField(allow_null=True)
    valid_to = serializers.DateField(allow_null=True)
    children = serializers.IntegerField(required=False, help_text="counted children (large family)")

    class Meta:
        ref_name = "PersonStatusSource"


class CategorySerializer(serializers.Serializer):
    category = serializers.CharField()
    text = serializers.CharField()
    units = serializers.IntegerField()
    amount_eur = serializers.DecimalField(max_digits=12, decimal_places=2)
    reason = serializers.CharField()
    reason_text = serializers.CharField()
    sources = SourceSerializer(many=True)

    class Meta:
        ref_name = "PersonStatusCategory"


class NotGrantedSerializer(serializers.Serializer):
    category = serializers.CharField()
    text = serializers.CharField()
    reason = serializers.CharField()
    reason_text = serializers.CharField()
    sources = SourceSerializer(many=True)

    class Meta:
        ref_name = "PersonStatusNotGranted"


class HouseholdSerializer(serializers.Serializer):
    address = serializers.CharField(help_text="the full address text")
    members = serializers.IntegerField(allow_null=True)
    source = serializers.CharField(help_text="`population` or `temporary_protection`")  # type: ignore[assignment]  # a field named "source" (popped by DRF's metaclass)
    source_text = serializers.CharField()

    class Meta:
        ref_name = "PersonStatusHousehold"


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField()
    text = serializers.CharField()

    class Meta:
        ref_name = "PersonStatusReason"


class UnattributedSerializer(ReasonSerializer):
    what_to_do = serializers.CharField()

    class Meta:
        ref_name = "PersonStatusUnattributed"


class ContractSerializer(serializers.Serializer):
    trader = serializers.CharField()
    contract_no = serializers.CharField()
    held_by_you = serializers.BooleanField()
    sub_user = serializers.BooleanField()
    rule = serializers.IntegerField(help_text="DOMAIN's attribution rule, 1-4")
    rule_text = serializers.CharField()

    class Meta:
        ref_name = "PersonStatusContract"


class EnergyAidSerializer(serializers.Serializer):
    eligible = serializers.BooleanField()
    reason = serializers.CharField()
    text = serializers.CharField()
    members = serializers.IntegerField()
    income_per_member_eur = serializers.DecimalField(max_digits=12, decimal_places=2)
    housing_per_member_eur = serializers.DecimalField(max_digits=12, decimal_places=2)
    housing_reported = serializers.BooleanField()
    threshold_eur = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    housing_share = serializers.DecimalField(max_digits=5, decimal_places=4, allow_null=True)
    sources = SourceSerializer(many=True)

    class Meta:
        ref_name = "PersonStatusEnergyAid"


class MonthSerializer(serializers.Serializer):
    month = serializers.DateField(help_text="the month's first day")
    version = serializers.IntegerField(help_text="the run version in force")
    erased_on = serializers.DateField(help_text="the day this month's data is erased")
    household = HouseholdSerializer(allow_null=True)
    no_household = ReasonSerializer(allow_null=True)
    categories = CategorySerializer(many=True)
    not_granted = NotGrantedSerializer(many=True)
    amount_eur = serializers.DecimalField(max_digits=12, decimal_places=2)
    balance_eur = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    balance_kind = serializers.CharField(allow_null=True, help_text="`available` or `credited`")
    contract = ContractSerializer(allow_null=True)
    unattributed = UnattributedSerializer(allow_null=True)
    energy_aid = EnergyAidSerializer(allow_null=True)

    class Meta:
        ref_name = "PersonStatusMonth"


class RefusalSerializer(serializers.Serializer):
    valid_from = serializers.DateField()
    valid_to = serializers.DateField(allow_null=True)
    applies_to_next_run = serializers.BooleanField()

    class Meta:
        ref_name = "PersonStatusRefusal"


class ChoiceSerializer(serializers.Serializer):
    trader = serializers.CharField()
    contract_no = serializers.CharField()
    valid_from = serializers.DateField()

    class Meta:
        ref_name = "PersonStatusChoice"


class AllowedContractSerializer(serializers.Serializer):
    trader = serializers.CharField()
    contract_no = serializers.CharField()
    address = serializers.CharField()
    held_by_you = serializers.BooleanField()
    sub_user = serializers.BooleanField()

    class Meta:
        ref_name = "PersonStatusAllowedContract"


class ContestSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    month = serializers.DateField()
    item = serializers.CharField()
    item_text = serializers.CharField()
    text = serializers.CharField()
    status = serializers.CharField()
    status_text = serializers.CharField()
    opened_on = serializers.DateField()
    decision_reason = serializers.CharField(allow_blank=True)
    referred_to = serializers.CharField(allow_blank=True)
    decided_on = serializers.DateField(allow_null=True)

    class Meta:
        ref_name = "PersonStatusContest"


class StatusOutputSerializer(serializers.Serializer):
    language = serializers.CharField()
    today = serializers.DateField()
    next_run_month = serializers.DateField(help_text="a choice or refusal made now applies from this month")
    months = MonthSerializer(many=True, help_text="newest first, within retention")
    refusal = RefusalSerializer(allow_null=True)
    contract_choice = ChoiceSerializer(allow_null=True)
    allowed_contracts = AllowedContractSerializer(many=True)
    contests = ContestSerializer(many=True)
    oldest_month_kept = serializers.DateField()
    erasure_rule_text = serializers.CharField()

    class Meta:
        ref_name = "PersonStatus"
