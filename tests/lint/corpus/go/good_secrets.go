package config

import (
	"os"
	"strings"
)

var stripeKey = os.Getenv("STRIPE_SECRET_KEY")
var live = strings.HasPrefix(stripeKey, "sk_live_") // ok: secret-key-in-source

const example = "sk_test_xxxxxxxxxxxxxxxxxxxx" // ok: secret-key-in-source
