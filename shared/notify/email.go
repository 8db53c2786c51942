package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	ses "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/ses/v20201002"

	"cloudmarket/shared/market"
)

// EmailConfig configures Tencent Cloud SES.
type EmailConfig struct {
	SecretID, SecretKey, Token string
	Region                     string // SES regions: ap-guangzhou, ap-hongkong
	From                       string // a verified sender address
	TemplateIDs                map[string]string
	// ReplyTo is where an answer to a notification goes (a mailbox people
	// read); From is a sending address of the verified domain.
	ReplyTo  string
	Endpoint string // default ses.tencentcloudapi.com; a local fake in tests
	Scheme   string
}

// Email sends through Tencent Cloud SES (SendEmail, API version 2020-10-02)
// with an approved template; the parameters go as template data {"1": …}.
type Email struct {
	client *ses.Client
	cfg    EmailConfig
}

// NewEmail builds the client.
func NewEmail(cfg EmailConfig) (*Email, error) {
	cred, cpf := tencentClient(cfg.SecretID, cfg.SecretKey, cfg.Token, cfg.Endpoint, cfg.Scheme)
	client, err := ses.NewClient(cred, cfg.Region, cpf)
	if err != nil {
		return nil, fmt.Errorf("notify: ses client: %w", err)
	}
	return &Email{client: client, cfg: cfg}, nil
}

// Send implements ops.Sender for the "email" channel.
func (e *Email) Send(ctx context.Context, n market.Notification) (string, error) {
	if n.Channel != "email" {
		return "", fmt.Errorf("notify: the e-mail sender cannot deliver channel %q", n.Channel)
	}
	idText, ok := e.cfg.TemplateIDs[n.Template]
	if !ok {
		return "", fmt.Errorf("notify: no SES template ID configured for %q", n.Template)
	}
	id, err := strconv.ParseUint(idText, 10, 64)
	if err != nil {
		return "", fmt.Errorf("notify: SES template ID %q for %q is not a number", idText, n.Template)
	}
	data := map[string]string{}
	for i, p := range n.Params {
		data[strconv.Itoa(i+1)] = p
	}
	raw, _ := json.Marshal(data)
	req := ses.NewSendEmailRequest()
	req.FromEmailAddress = common.StringPtr(e.cfg.From)
	req.Destination = common.StringPtrs([]string{n.To})
	req.Subject = common.StringPtr(Subjects[n.Template])
	req.Template = &ses.Template{TemplateID: common.Uint64Ptr(id), TemplateData: common.StringPtr(string(raw))}
	// Transactional (SES's "triggered" channel): a message one action caused,
	// sent at once, never marketing.
	req.TriggerType = common.Uint64Ptr(1)
	if e.cfg.ReplyTo != "" {
		req.ReplyToAddresses = common.StringPtr(e.cfg.ReplyTo)
	}
	req.SetContext(ctx)
	if _, err := e.client.SendEmail(req); err != nil {
		return "", fmt.Errorf("notify: SendEmail: %w", err)
	}
	return "tencentcloud-ses", nil
}

// Router sends each channel through its sender; a channel with no configured
// sender goes to the outbox.
type Router struct {
	SMS, Email interface {
		Send(context.Context, market.Notification) (string, error)
	}
	Outbox Outbox
}

// Send implements ops.Sender.
func (r Router) Send(ctx context.Context, n market.Notification) (string, error) {
	switch {
	case n.Channel == "sms" && r.SMS != nil:
		return r.SMS.Send(ctx, n)
	case n.Channel == "email" && r.Email != nil:
		return r.Email.Send(ctx, n)
	}
	return r.Outbox.Send(ctx, n)
}
