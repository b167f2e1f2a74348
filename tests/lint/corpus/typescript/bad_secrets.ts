import Stripe from 'stripe';

const stripe = new Stripe('sk_live_51Tn4Qx8Kd2Wz6Pl'); // expect: secret-key-in-source
const restricted = new Stripe("rk_test_51Tn9Example4Kd2Wz"); // expect: secret-key-in-source
export const hook = `whsec_4Ds8Qz1Xn7Kp3LwR5`; // expect: secret-key-in-source
export { stripe, restricted };
