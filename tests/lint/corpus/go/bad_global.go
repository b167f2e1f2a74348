package main

import (
	"os"

	stripe "github.com/stripe/stripe-go/v76"
)

func main() {
	stripe.Key = os.Getenv("STRIPE_SECRET_KEY") // expect: global-api-key
}
