package config

const stripeKey = "sk_live_51Ui8Op0As2Df4Gh6" // expect: secret-key-in-source
const whSecret = `whsec_7Jk9Lz1Xc3Vb5Nm7Qw9E` // expect: secret-key-in-source
