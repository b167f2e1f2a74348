"""Issue 14.8: `check_integration_code` tells the language from the code itself when neither
`language` nor `filename` is given (the schema asks only for `source`)."""

from __future__ import annotations

import pytest

from stripe_power.lint._guess import guess_language

from .conftest import Connect, error_text, payload

SOURCES = {
    "python": 'import stripe\n\ndef pay(amount):\n    return stripe.Charge.create(amount=amount, currency="usd")\n',
    "javascript": "const stripe = require('stripe')(process.env.KEY);\n"
    "const charge = await stripe.charges.create({amount: 100, currency: 'usd'});\n",
    "typescript": "import Stripe from 'stripe';\nconst stripe = new Stripe(process.env.KEY as string);\n"
    "export async function pay(amount: number): Promise<Stripe.Charge> {\n"
    "  return stripe.charges.create({amount, currency: 'usd'});\n}\n",
    "ruby": "require 'stripe'\nStripe.api_key = ENV['KEY']\nStripe::Charge.create(amount: 100, currency: 'usd')\n",
    "php": "<?php\n$stripe = new \\Stripe\\StripeClient(getenv('KEY'));\n"
    "$stripe->charges->create(['amount' => 100, 'currency' => 'usd']);\n",
    "go": 'package main\n\nimport (\n\t"github.com/stripe/stripe-go/v76/charge"\n)\n\n'
    "func main() {\n\tcharge.New(params)\n}\n",
    "java": "import com.stripe.Stripe;\nimport com.stripe.model.Charge;\n\npublic class Pay {\n"
    "  public static void main(String[] args) throws Exception {\n    Charge.create(params);\n  }\n}\n",
}


@pytest.mark.parametrize("language", sorted(SOURCES))
def test_language_is_told_from_the_code(language: str) -> None:
    assert guess_language(SOURCES[language]) == language


def test_text_with_no_code_markers_is_not_guessed() -> None:
    assert guess_language("hello there") is None


@pytest.mark.parametrize("language", ["python", "javascript", "ruby"])
async def test_check_integration_code_needs_only_the_source(connect: Connect, language: str) -> None:
    async with connect() as client:
        report = payload(await client.call_tool("check_integration_code", {"source": SOURCES[language]}))
        unknown = error_text(await client.call_tool("check_integration_code", {"source": "hello there"}))
    assert "charges-api" in {finding["rule_id"] for finding in report["findings"]}, report
    assert "cannot tell the language" in unknown and "Pass `language`" in unknown, unknown
