"""Hosted pages: Checkout, invoices, payment links, 3D Secure, receipts, the customer portal,
and the stylesheets and script every page (and the dashboard) loads."""
