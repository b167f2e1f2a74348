import os

import stripe as st
from stripe import Plan

st.api_key = os.environ["STRIPE_SECRET_KEY"]  # expect: global-api-key
st.api_version = "2024-06-20"  # expect: api-version-pin
Plan.create(amount=100, interval="month", currency="usd", product="prod_1")  # expect: plans-api
st.Token.create(bank_account={"country": "US"})  # expect: tokens-api
API_VERSION = "2024-06-20"
pinned = st.StripeClient(os.environ["STRIPE_SECRET_KEY"], stripe_version=API_VERSION)  # expect: api-version-pin
