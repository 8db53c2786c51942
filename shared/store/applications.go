package store

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"cloudmarket/shared/market"
	"cloudmarket/shared/money"
	"cloudmarket/shared/orgcode"
)

type contactDoc struct {
	Name  string `bson:"name"`
	Phone string `bson:"phone"`
	QQ    string `bson:"qq,omitempty"`
	Email string `bson:"email"`
}

type applicationDoc struct {
	ID                   string       `bson:"_id"`
	AccountID            string       `bson:"accountId"`
	CompanyName          string       `bson:"companyName"`
	CompanyType          string       `bson:"companyType"`
	OrgCode              string       `bson:"orgCode"`
	OrgKind              string       `bson:"orgKind"`
	Organisation         string       `bson:"organisation"`
	LicenseNo            string       `bson:"licenseNo"`
	LicenseObjectKey     string       `bson:"licenseObjectKey"`
	MainBusiness         string       `bson:"mainBusiness"`
	RegisteredCapitalFen int64        `bson:"registeredCapitalFen"`
	FoundedOn            string       `bson:"foundedOn"`
	Categories           []string     `bson:"categories"`
	CooperationMode      string       `bson:"cooperationMode"`
	SupportDays          int          `bson:"supportDays"`
	SupportHoursPerDay   int          `bson:"supportHoursPerDay"`
	Contact              contactDoc   `bson:"contact"`
	Documents            documentsDoc `bson:"documents"`
	Status               string       `bson:"status"`
	SubmittedAt          time.Time    `bson:"submittedAt"`
	ReviewDueAt          time.Time    `bson:"reviewDueAt"`
	Decision             string       `bson:"decision,omitempty"`
	Reason               string       `bson:"reason,omitempty"`
	DecidedBy            string       `bson:"decidedBy,omitempty"`
	DecidedAt            *time.Time   `bson:"decidedAt,omitempty"`
	ProviderID           string       `bson:"providerId,omitempty"`
	OverdueFlaggedAt     *time.Time   `bson:"overdueFlaggedAt,omitempty"`
}

func categoriesOut(cs []market.Category) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = string(c)
	}
	return out
}

func categoriesIn(cs []string) []market.Category {
	out := make([]market.Category, len(cs))
	for i, c := range cs {
		out[i] = market.Category(c)
	}
	return out
}

func applicationToDoc(a *market.Application) bson.D {
	d := applicationDoc{
		ID: a.ID, AccountID: a.AccountID, CompanyName: a.CompanyName, CompanyType: a.CompanyType,
		OrgCode: a.OrgCode.Canonical, OrgKind: string(a.OrgCode.Kind), Organisation: a.OrgCode.Organisation,
		LicenseNo: a.LicenseNo, LicenseObjectKey: a.LicenseObjectKey, MainBusiness: a.MainBusiness,
		RegisteredCapitalFen: int64(a.RegisteredCapitalFen), FoundedOn: a.FoundedOn,
		Categories: categoriesOut(a.Categories), CooperationMode: a.CooperationMode,
		SupportDays: a.SupportHours.Days, SupportHoursPerDay: a.SupportHours.HoursPerDay,
		Contact: contactDoc(a.Contact), Documents: documentsOut(a.Documents),
		Status: string(a.Status), SubmittedAt: ms(a.SubmittedAt), ReviewDueAt: ms(a.ReviewDueAt),
		Decision: a.Decision, Reason: a.Reason, DecidedBy: a.DecidedBy, DecidedAt: timePtr(a.DecidedAt),
		ProviderID: a.ProviderID, OverdueFlaggedAt: timePtr(a.OverdueFlaggedAt),
	}
	return toM(d)
}

func (d applicationDoc) application() *market.Application {
	return &market.Application{
		ID: d.ID, AccountID: d.AccountID, CompanyName: d.CompanyName, CompanyType: d.CompanyType,
		OrgCode:   orgcode.Code{Kind: orgcode.Kind(d.OrgKind), Canonical: d.OrgCode, Organisation: d.Organisation},
		LicenseNo: d.LicenseNo, LicenseObjectKey: d.LicenseObjectKey, MainBusiness: d.MainBusiness,
		RegisteredCapitalFen: money.Fen(d.RegisteredCapitalFen), FoundedOn: d.FoundedOn,
		Categories: categoriesIn(d.Categories), CooperationMode: d.CooperationMode,
		SupportHours: market.SupportHours{Days: d.SupportDays, HoursPerDay: d.SupportHoursPerDay},
		Contact:      market.Contact(d.Contact), Documents: d.Documents.documents(),
		Status: market.ApplicationStatus(d.Status), SubmittedAt: d.SubmittedAt.UTC(), ReviewDueAt: d.ReviewDueAt.UTC(),
		Decision: d.Decision, Reason: d.Reason, DecidedBy: d.DecidedBy, DecidedAt: timeOrZero(d.DecidedAt),
		ProviderID: d.ProviderID, OverdueFlaggedAt: timeOrZero(d.OverdueFlaggedAt),
	}
}

// toM turns a tagged document struct into the document stored: a bson.D in the
// struct's field order, so every stored document of a kind has its fields in
// one order (the embedded engine finds a field by reading the fields before
// it; a map's order would differ from document to document).
func toM(v any) bson.D {
	raw, err := bson.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("store: marshal %T: %v", v, err)) // our own structs: cannot fail
	}
	var d bson.D
	if err := bson.Unmarshal(raw, &d); err != nil {
		panic(fmt.Sprintf("store: unmarshal %T: %v", v, err))
	}
	return d
}

// setField sets a top-level field of a document, in place when it has it.
func setField(d bson.D, key string, v any) bson.D {
	for i := range d {
		if d[i].Key == key {
			d[i].Value = v
			return d
		}
	}
	return append(d, bson.E{Key: key, Value: v})
}

// InsertApplication stores a new application.
func (tx *Tx) InsertApplication(a *market.Application) error {
	return tx.insert(colApplications, applicationToDoc(a))
}

// Application reads an application for update.
func (tx *Tx) Application(id string) (*market.Application, error) {
	var d applicationDoc
	if err := tx.load(colApplications, id, &d); err != nil {
		return nil, err
	}
	return d.application(), nil
}

// SaveApplication writes back an application read in this transaction.
func (tx *Tx) SaveApplication(a *market.Application) error {
	return tx.replace(colApplications, a.ID, applicationToDoc(a))
}

// Application reads an application.
func (s *Store) Application(ctx context.Context, id string) (*market.Application, error) {
	var d applicationDoc
	if err := s.readOne(ctx, colApplications, id, &d); err != nil {
		return nil, err
	}
	return d.application(), nil
}

// ApplicationQuery pages through the review queue, oldest due first.
type ApplicationQuery struct {
	Status    string
	AccountID string // an applicant's own applications
	// After resumes after this (reviewDueAt, id) position.
	AfterDue time.Time
	AfterID  string
	Limit    int
}

// Applications lists applications by ascending reviewDueAt, then ID.
func (s *Store) Applications(ctx context.Context, q ApplicationQuery) ([]*market.Application, error) {
	filter := bson.M{}
	if q.Status != "" {
		filter["status"] = q.Status
	}
	if q.AccountID != "" {
		filter["accountId"] = q.AccountID
	}
	if q.AfterID != "" {
		due := ms(q.AfterDue)
		filter["$or"] = bson.A{
			bson.M{"reviewDueAt": bson.M{"$gt": due}},
			bson.M{"reviewDueAt": due, "_id": bson.M{"$gt": q.AfterID}},
		}
	}
	var docs []applicationDoc
	if err := s.find(ctx, colApplications, filter, bson.D{{Key: "reviewDueAt", Value: 1}, {Key: "_id", Value: 1}}, q.Limit, &docs); err != nil {
		return nil, err
	}
	out := make([]*market.Application, len(docs))
	for i, d := range docs {
		out[i] = d.application()
	}
	return out, nil
}

// OverdueApplications lists the IDs of submitted applications whose review is
// past due and not yet flagged (R-ON1). Flagging sets overdueFlaggedAt, which
// takes the application out of the query's index range.
func (s *Store) OverdueApplications(ctx context.Context, now time.Time, limit int) ([]string, error) {
	filter := bson.M{"status": string(market.ApplicationSubmitted), "overdueFlaggedAt": nil, "reviewDueAt": bson.M{"$lt": ms(now)}}
	return s.ids(ctx, colApplications, filter, bson.D{}, limit) // unsorted: any batch of what is due will do
}
