class StripeWebhooksController < ApplicationController
  skip_before_action :verify_authenticity_token

  def create
    payload = request.body.read
    event = Stripe::Event.construct_from(JSON.parse(payload, symbolize_names: true)) # expect: webhook-signature-unverified
    handle_paid(event.data.object) if event.type == 'invoice.paid'
    head :ok
  end
end
