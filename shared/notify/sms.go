package notify

import (
	"context"
	"fmt"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
	sms "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/sms/v20210111"

	"cloudmarket/shared/market"
)

// SMSConfig configures Tencent Cloud SMS.
type SMSConfig struct {
	SecretID, SecretKey, Token string // SCF passes TENCENTCLOUD_SECRETID/SECRETKEY/SESSIONTOKEN
	Region                     string // e.g. ap-guangzhou
	SdkAppID                   string // SmsSdkAppId
	SignName                   string // approved signature
	TemplateIDs                map[string]string
	Endpoint                   string // default sms.tencentcloudapi.com; a local fake in tests
	Scheme                     string // "HTTPS" (default) or "HTTP" for the local fake
}

// SMS sends through Tencent Cloud SMS (SendSms, API version 2021-01-11).
type SMS struct {
	client *sms.Client
	cfg    SMSConfig
}

// NewSMS builds the client. Credentials are built with NewTokenCredential
// because SCF hands out temporary keys with a session token.
func NewSMS(cfg SMSConfig) (*SMS, error) {
	cred, cpf := tencentClient(cfg.SecretID, cfg.SecretKey, cfg.Token, cfg.Endpoint, cfg.Scheme)
	client, err := sms.NewClient(cred, cfg.Region, cpf)
	if err != nil {
		return nil, fmt.Errorf("notify: sms client: %w", err)
	}
	return &SMS{client: client, cfg: cfg}, nil
}

// Send implements ops.Sender for the "sms" channel. Parameters Tencent Cloud
// SMS would refuse (CheckSMS) are refused before the call. A per-number failure in
// SendStatusSet (the call succeeds, the number does not) is an error, so the
// outbox retries it.
func (s *SMS) Send(ctx context.Context, n market.Notification) (string, error) {
	if n.Channel != "sms" {
		return "", fmt.Errorf("notify: the SMS sender cannot deliver channel %q", n.Channel)
	}
	if err := CheckSMS(n.Template, n.Params); err != nil {
		return "", err
	}
	templateID, ok := s.cfg.TemplateIDs[n.Template]
	if !ok {
		return "", fmt.Errorf("notify: no SMS template ID configured for %q", n.Template)
	}
	req := sms.NewSendSmsRequest()
	req.SmsSdkAppId = common.StringPtr(s.cfg.SdkAppID)
	req.SignName = common.StringPtr(s.cfg.SignName)
	req.TemplateId = common.StringPtr(templateID)
	req.TemplateParamSet = common.StringPtrs(n.Params)
	req.PhoneNumberSet = common.StringPtrs([]string{n.To})
	req.SessionContext = common.StringPtr(n.ID)
	req.SetContext(ctx)
	resp, err := s.client.SendSms(req)
	if err != nil {
		return "", fmt.Errorf("notify: SendSms: %w", err)
	}
	if resp.Response == nil || len(resp.Response.SendStatusSet) == 0 {
		return "", fmt.Errorf("notify: SendSms returned no status for the number")
	}
	st := resp.Response.SendStatusSet[0]
	if st.Code == nil || *st.Code != "Ok" {
		code, msg := "", ""
		if st.Code != nil {
			code = *st.Code
		}
		if st.Message != nil {
			msg = *st.Message
		}
		return "", fmt.Errorf("notify: SMS to number refused: %s %s", code, msg)
	}
	return "tencentcloud-sms", nil
}

// tencentClient is the credential and profile every Tencent Cloud API client
// here uses: a session-token credential (SCF's temporary keys), a 10 s timeout,
// and an endpoint override for the local fakes in tests.
func tencentClient(id, key, token, endpoint, scheme string) (*common.Credential, *profile.ClientProfile) {
	cpf := profile.NewClientProfile()
	if endpoint != "" {
		cpf.HttpProfile.Endpoint = endpoint
	}
	if scheme != "" {
		cpf.HttpProfile.Scheme = scheme
	}
	cpf.HttpProfile.ReqTimeout = 10
	return common.NewTokenCredential(id, key, token), cpf
}
