// Package payments uses stripe-go's client. Docs: charge.New(...) and
// PaymentMethodTypes: stripe.StringSlice(...) are legacy; so is stripe.Key = "...".
package payments

import (
	"context"
	"go/token"
	"os"

	"github.com/stripe/stripe-go/v82"
)

var sc = stripe.NewClient(os.Getenv("STRIPE_SECRET_KEY"))

// sc.V1Charges.Create(ctx, params)  ok: charges-api
const help = "do not call charge.New( or stripe.Key = ..." // ok: charges-api, global-api-key

func Pay(ctx context.Context, amount int64) (*stripe.PaymentIntent, error) {
	pi, err := sc.V1PaymentIntents.Create(ctx, &stripe.PaymentIntentCreateParams{
		Amount:                     stripe.Int64(amount),
		Currency:                   stripe.String("usd"),
		ExcludedPaymentMethodTypes: stripe.StringSlice([]string{"affirm"}), // ok: payment-method-types
	})
	if err != nil {
		return nil, err
	}
	types := pi.PaymentMethodTypes // ok: payment-method-types
	_ = types
	for ch, err := range sc.V1Charges.List(ctx, &stripe.ChargeListParams{}) { // ok: charges-api
		_, _ = ch, err
	}
	fset := token.NewFileSet() // ok: tokens-api
	_ = fset
	if stripe.Key == "" { // ok: global-api-key
		return nil, nil
	}
	version := resp.Header.Get("Stripe-Version") // ok: api-version-pin
	_ = version
	return pi, nil
}

type Checkout struct {
	PaymentMethodTypes []string // ok: payment-method-types
}
