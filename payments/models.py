"""Prices, fee reductions and Stripe payments (filled by the money issue)."""
