"""Checkout: Checkout Sessions (line items, totals, what the page collects, completion) and
Payment Links; the hosted pages themselves are in `pages/`."""
