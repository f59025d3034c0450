"""JSON rendering where a Decimal is never turned into a float.

DRF's encoder renders a bare ``Decimal`` as a float; money must stay exact, so any Decimal that
reaches the renderer is written as its string (serializers' ``DecimalField`` already quantise
money to two places, as INTERFACES §3 wants: ``"35.00"``).
"""

import decimal
from typing import Any

from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder


class ExactDecimalEncoder(JSONEncoder):
    def default(self, obj: Any) -> Any:
        if isinstance(obj, decimal.Decimal):
            return str(obj)
        return super().default(obj)


class ExactJSONRenderer(JSONRenderer):
    encoder_class = ExactDecimalEncoder
