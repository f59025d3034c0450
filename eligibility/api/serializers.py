"""Output shapes of the month lists, for the OpenAPI schema.

The views build each row as a plain dict (a list may run to 300,000 rows; a serializer per row
would dominate the time); these serializers describe exactly those dicts, and a test holds the
two together. Component names are spelled out (``ref_name``) so nested classes cannot collide.
"""

from rest_framework import serializers

from eligibility.models import Category, EnergyAidResource

MONEY_HELP = "EUR, a string with two decimals"


class CategoryUnitsSerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=Category.choices)
    units = serializers.IntegerField()
    amount_eur = serializers.DecimalField(max_digits=8, decimal_places=2, help_text=MONEY_HELP)

    class Meta:
        ref_name = "CategoryUnits"


class EligibleContractSerializer(serializers.Serializer):
    contract_no = serializers.CharField()
    sub_user_code = serializers.CharField(
        allow_blank=True, help_text="the sub-user's personal code; empty for the holder's own household"
    )
    amount_eur = serializers.DecimalField(max_digits=8, decimal_places=2, help_text="this month's amount")
    balance_eur = serializers.DecimalField(
        max_digits=10,
        decimal_places=2,
        help_text="available balance: credited in the year up to this month, less what was applied "
        "(accepted) for January to this month",
    )
    categories = CategoryUnitsSerializer(many=True)
    version = serializers.IntegerField(help_text="the version of the month the row belongs to")

    class Meta:
        ref_name = "EligibleContract"


class EligibleContractPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text="the next page; null on the last one")
    results = EligibleContractSerializer(many=True)

    class Meta:
        ref_name = "EligibleContractPage"


class AdjustmentSerializer(serializers.Serializer):
    contract_no = serializers.CharField()
    sub_user_code = serializers.CharField(allow_blank=True)
    previous_amount_eur = serializers.DecimalField(max_digits=8, decimal_places=2)
    amount_eur = serializers.DecimalField(max_digits=8, decimal_places=2)
    delta_eur = serializers.DecimalField(
        max_digits=8, decimal_places=2, help_text="signed: amount_eur - previous_amount_eur"
    )
    version = serializers.IntegerField()
    previous_version = serializers.IntegerField()

    class Meta:
        ref_name = "Adjustment"


class AdjustmentPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    results = AdjustmentSerializer(many=True)

    class Meta:
        ref_name = "AdjustmentPage"


class EligibleObjectSerializer(serializers.Serializer):
    object_code = serializers.CharField()
    resource = serializers.ChoiceField(choices=EnergyAidResource.choices)
    address_code = serializers.CharField()
    version = serializers.IntegerField()

    class Meta:
        ref_name = "EligibleObject"


class EligibleObjectPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    results = EligibleObjectSerializer(many=True)

    class Meta:
        ref_name = "EligibleObjectPage"


class EligibleAddressSerializer(serializers.Serializer):
    address_code = serializers.CharField()
    resource = serializers.ChoiceField(choices=EnergyAidResource.choices)
    full_address = serializers.CharField(allow_blank=True)
    version = serializers.IntegerField()

    class Meta:
        ref_name = "EligibleAddress"


class EligibleAddressPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    results = EligibleAddressSerializer(many=True)

    class Meta:
        ref_name = "EligibleAddressPage"
