package config

const stripeKey = "sk_live_51Ui8Op0As2Df4Gh6" // expect: secret-key-in-source
const whSecret = `whsec_7Jk9Lz1Xc3Vb5Nm7Qw9E` // expect: secret-key-in-source

func init() {
	stripe.Key = "sk_live_51Go3Qz7Secret2Kx" // expect: secret-key-in-source, global-api-key
	sc := stripe.NewClient("rk_live_51Go8Zx2Qp5Lm3Wk") // expect: secret-key-in-source
	_ = sc
}
