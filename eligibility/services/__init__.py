from eligibility.services.parameters import parameter_value_set

__all__ = ["parameter_value_set"]
