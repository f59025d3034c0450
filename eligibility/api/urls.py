from django.urls import path

from eligibility.api.views import (
    AdjustmentsListApi,
    EligibleAddressesListApi,
    EligibleContractsListApi,
    EligibleObjectsListApi,
)

urlpatterns = [
    path("eligible-contracts/", EligibleContractsListApi.as_view(), name="month-eligible-contracts"),
    path("adjustments/", AdjustmentsListApi.as_view(), name="month-adjustments"),
    path("eligible-objects/", EligibleObjectsListApi.as_view(), name="month-eligible-objects"),
    path("eligible-addresses/", EligibleAddressesListApi.as_view(), name="month-eligible-addresses"),
]
