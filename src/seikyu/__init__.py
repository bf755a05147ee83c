"""Seikyu: self-hosted subscription billing with a Stripe-compatible API."""
