"""Shapes of the submission endpoints: the claim bodies (validated here) and the answers (built
by the services; these describe them for the OpenAPI schema)."""

from decimal import Decimal

from rest_framework import serializers

from eligibility.models import ADDRESS_RESOURCES, OBJECT_RESOURCES, EnergyAidResource


def money_input(help_text: str) -> serializers.DecimalField:
    """A non-negative EUR amount with at most two decimals."""
    return serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal("0"), help_text=help_text
    )


MAX_CLAIM_LINES = 200_000


class AppliedLineInputSerializer(serializers.Serializer):
    contract_no = serializers.CharField(max_length=64)
    sub_user_code = serializers.CharField(
        allow_blank=True, help_text="the sub-user's personal code (hyphen optional); empty for the holder"
    )
    applied_eur = money_input("EUR applied, excluding VAT")

    class Meta:
        ref_name = "AppliedLineInput"


class _AcceptedAppliedSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text="1-based position in the request")
    contract_no = serializers.CharField()
    sub_user_code = serializers.CharField(allow_blank=True)
    applied_eur = serializers.DecimalField(max_digits=10, decimal_places=2)
    balance_eur = serializers.DecimalField(
        max_digits=10, decimal_places=2, help_text="the recipient's available balance after this line"
    )

    class Meta:
        ref_name = "AppliedLineAccepted"


class _RejectedAppliedSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    contract_no = serializers.CharField(allow_blank=True, help_text="as sent")
    sub_user_code = serializers.CharField(allow_blank=True, help_text="as sent")
    applied_eur = serializers.CharField(allow_blank=True, help_text="as sent")
    reason = serializers.ChoiceField(choices=["invalid", "not_in_list", "duplicate", "above_balance"])
    message = serializers.CharField()

    class Meta:
        ref_name = "AppliedLineRejected"


class _AppliedTotalsSerializer(serializers.Serializer):
    lines = serializers.IntegerField()
    accepted = serializers.IntegerField()
    rejected = serializers.IntegerField()
    accepted_eur = serializers.DecimalField(max_digits=14, decimal_places=2)
    rejected_eur = serializers.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        ref_name = "AppliedTotals"


class AppliedOutputSerializer(serializers.Serializer):
    submission = serializers.IntegerField()
    month = serializers.CharField()
    version = serializers.IntegerField(help_text="the version of the month the lines were checked against")
    accepted = _AcceptedAppliedSerializer(many=True)
    rejected = _RejectedAppliedSerializer(many=True)
    totals = _AppliedTotalsSerializer()

    class Meta:
        ref_name = "AppliedSubmission"


class _ObjectLineSerializer(serializers.Serializer):
    object_code = serializers.CharField(
        max_length=64, help_text="the EIC, gas market number or heat object id"
    )
    aid_eur = money_input("aid granted, excluding VAT")

    class Meta:
        ref_name = "ClaimObjectLine"


class _AddressLineSerializer(serializers.Serializer):
    address_code = serializers.RegexField(r"^\d{9}$", help_text="the 9-digit address code")
    aid_eur = money_input("aid granted")

    class Meta:
        ref_name = "ClaimAddressLine"


class EnergyCompanyClaimSerializer(serializers.Serializer):
    """An energy company's claim: one resource, its VAT rate, the total and one line per object."""

    resource = serializers.ChoiceField(
        choices=EnergyAidResource.choices,
        help_text=f"an energy company claims one of: {', '.join(OBJECT_RESOURCES)}",
    )
    vat_rate = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=Decimal("0"), max_value=Decimal("100"), help_text="percent"
    )
    total_eur = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=Decimal("0"), help_text="the sum of the lines' aid_eur"
    )
    lines = serializers.ListField(child=_ObjectLineSerializer(), min_length=1, max_length=MAX_CLAIM_LINES)

    class Meta:
        ref_name = "EnergyCompanyClaim"


class MunicipalityClaimSerializer(serializers.Serializer):
    """A local government's claim: one resource, the submissions it examined, one line per address."""

    resource = serializers.ChoiceField(
        choices=EnergyAidResource.choices,
        help_text=f"a local government claims one of: {', '.join(ADDRESS_RESOURCES)}",
    )
    submissions_examined = serializers.IntegerField(
        min_value=0, max_value=10_000_000, help_text="each earns the administrative cost `e_admin_cost_eur`"
    )
    total_eur = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=Decimal("0"), help_text="the sum of the lines' aid_eur"
    )
    lines = serializers.ListField(child=_AddressLineSerializer(), min_length=1, max_length=MAX_CLAIM_LINES)

    class Meta:
        ref_name = "MunicipalityClaim"


class _ClaimAcceptedSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    object_code = serializers.CharField(required=False, help_text="energy companies")
    address_code = serializers.CharField(required=False, help_text="local governments")
    aid_eur = serializers.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ref_name = "ClaimLineAccepted"


class _ClaimRejectedSerializer(_ClaimAcceptedSerializer):
    reason = serializers.ChoiceField(choices=["not_eligible", "duplicate", "above_cap"])
    message = serializers.CharField()

    class Meta:
        ref_name = "ClaimLineRejected"


class _ClaimTotalsSerializer(serializers.Serializer):
    lines = serializers.IntegerField()
    accepted = serializers.IntegerField()
    rejected = serializers.IntegerField()
    claimed_eur = serializers.DecimalField(max_digits=14, decimal_places=2)
    accepted_eur = serializers.DecimalField(max_digits=14, decimal_places=2)
    rejected_eur = serializers.DecimalField(max_digits=14, decimal_places=2)
    admin_cost_eur = serializers.DecimalField(
        max_digits=14, decimal_places=2, allow_null=True, help_text="local governments; null otherwise"
    )

    class Meta:
        ref_name = "ClaimTotals"


class ClaimOutputSerializer(serializers.Serializer):
    submission = serializers.IntegerField()
    month = serializers.CharField()
    version = serializers.IntegerField()
    resource = serializers.ChoiceField(choices=EnergyAidResource.choices)
    vat_rate = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    submissions_examined = serializers.IntegerField(required=False, help_text="local governments")
    cap_checked = serializers.BooleanField(
        help_text="false where the cap depends on prices or consumption ALDIS does not receive"
    )
    accepted = _ClaimAcceptedSerializer(many=True)
    rejected = _ClaimRejectedSerializer(many=True)
    totals = _ClaimTotalsSerializer()

    class Meta:
        ref_name = "ClaimSubmission"
