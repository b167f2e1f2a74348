"""Connect: connected accounts, the Stripe-Account scope, account links, charges on behalf of
connected accounts, application fees, transfers, payouts and external accounts."""
