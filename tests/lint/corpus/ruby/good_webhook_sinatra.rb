require 'sinatra'
require 'stripe'
require 'json'

post '/webhook' do
  payload = request.body.read
  # JSON.parse(payload) alone would be unsafe  ok: webhook-signature-unverified
  event = Stripe::Webhook.construct_event(payload, request.env['HTTP_STRIPE_SIGNATURE'], ENV['WH_SECRET'])
  meta = JSON.parse(event.data.object.metadata['cart']) # ok: webhook-signature-unverified
  fulfill(meta) if event['type'] == 'checkout.session.completed'
  status 200
end
