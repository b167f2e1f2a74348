package main

import (
	"os"

	"github.com/stripe/stripe-go/v82"
)

func main() {
	sc := stripe.NewClient(os.Getenv("STRIPE_SECRET_KEY"))
	cfg.Key = os.Getenv("OTHER") // ok: global-api-key
	_ = stripe.Key // ok: global-api-key
	sc.V1Tokens.Retrieve(ctx, "tok_123", nil) // ok: tokens-api
	sc.V1Plans.Retrieve(ctx, "plan_123", nil) // ok: plans-api
	sc.V1Sources.Detach(ctx, "src_1", nil) // ok: sources-api
}
