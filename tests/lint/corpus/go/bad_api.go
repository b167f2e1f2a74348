// Package payments is a legacy stripe-go integration.
package payments

import (
	"net/http"
	"os"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/charge"
	"github.com/stripe/stripe-go/v76/client"
	"github.com/stripe/stripe-go/v76/plan"
	"github.com/stripe/stripe-go/v76/source"
	"github.com/stripe/stripe-go/v76/token"
)

func init() {
	stripe.Key = os.Getenv("STRIPE_SECRET_KEY") // expect: global-api-key
}

func Pay(amount int64, tok string) (*stripe.Charge, error) {
	ch, err := charge.New(&stripe.ChargeParams{Amount: stripe.Int64(amount), Currency: stripe.String("usd")}) // expect: charges-api
	if err != nil {
		return nil, err
	}
	return charge.Capture(ch.ID, nil) // expect: charges-api
}

func PayWithClient(sc *client.API, amount int64) {
	sc.Charges.New(&stripe.ChargeParams{Amount: stripe.Int64(amount)}) // expect: charges-api
}

func PayV82(sc *stripe.Client, amount int64) {
	sc.V1Charges.Create(ctx, &stripe.ChargeCreateParams{Amount: stripe.Int64(amount)}) // expect: charges-api
	sc.V1Tokens.Create(ctx, &stripe.TokenCreateParams{}) // expect: tokens-api
	sc.V1Plans.Create(ctx, &stripe.PlanCreateParams{}) // expect: plans-api
}

func Save() {
	source.New(&stripe.SourceParams{Type: stripe.String("ach_credit_transfer")}) // expect: sources-api
	token.New(&stripe.TokenParams{}) // expect: tokens-api
	plan.New(&stripe.PlanParams{Amount: stripe.Int64(500)}) // expect: plans-api
}

func Intent() {
	params := &stripe.PaymentIntentParams{
		Amount:             stripe.Int64(1000),
		Currency:           stripe.String(string(stripe.CurrencyUSD)),
		PaymentMethodTypes: stripe.StringSlice([]string{"card"}), // expect: payment-method-types
	}
	params.PaymentMethodTypes = []*string{stripe.String("card")} // expect: payment-method-types
	req, _ := http.NewRequest("POST", "https://api.stripe.com/v1/payment_intents", nil)
	req.Header.Set("Stripe-Version", "2022-11-15") // expect: api-version-pin
}
