const stripe = require('stripe')('sk_live_51Qw8Er4Ty6Ui2Op9'); // expect: secret-key-in-source
const testStripe = require('stripe')("sk_test_51Qw8Er4Ty6Ui2Op9As"); // expect: secret-key-in-source
const endpointSecret = `whsec_3Gh7Jk1Lz5Xc9Vb2Nm4Q`; // expect: secret-key-in-source
const Stripe = require('stripe');
const direct = new Stripe('sk_test_51Qz8Secret3Wx7Kd9'); // expect: secret-key-in-source
const called = Stripe("sk_live_51Mk2Abcdef7Pz4Lq"); // expect: secret-key-in-source
const hook = 'whsec_Yz6Your3Kd8Pq1Zx'; // expect: secret-key-in-source
