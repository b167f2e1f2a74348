package webhooks

import (
	"encoding/json"
	"io"
	"net/http"

	"github.com/stripe/stripe-go/v76"
)

func Handle(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var event stripe.Event
	if err := json.Unmarshal(body, &event); err != nil { // expect: webhook-signature-unverified
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	switch event.Type {
	case "payment_intent.succeeded":
		fulfill(event.Data.Object)
	}
	w.WriteHeader(http.StatusOK)
}
