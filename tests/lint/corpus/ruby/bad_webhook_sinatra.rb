require 'sinatra'
require 'stripe'
require 'json'

post '/webhook' do
  event = JSON.parse(request.body.read) # expect: webhook-signature-unverified
  case event['type']
  when 'payment_intent.succeeded'
    fulfill(event['data']['object'])
  end
  status 200
end
