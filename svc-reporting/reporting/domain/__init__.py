"""Pure rules of svc-reporting: report states and deadlines, resident-ID checks, the Standard
Webhooks signature, the vocabulary of 000 附件1/附件2, supervision rates."""
