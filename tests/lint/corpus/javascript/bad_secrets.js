const stripe = require('stripe')('sk_live_51Qw8Er4Ty6Ui2Op9'); // expect: secret-key-in-source
const testStripe = require('stripe')("sk_test_51Qw8Er4Ty6Ui2Op9As"); // expect: secret-key-in-source
const endpointSecret = `whsec_3Gh7Jk1Lz5Xc9Vb2Nm4Q`; // expect: secret-key-in-source
