"""Experiments of the §-chapter fcn_bound (registered on import)."""
