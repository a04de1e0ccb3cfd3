// Typed wrapper around the invoices endpoint and the analytics SDK.
import { initializeApp } from "firebase/app";

export interface Invoice {
  id: string;
  customerId: string;
  totalCents: number;
  issuedAt: Date;
  paid: boolean;
}

const firebaseConfig = {
  apiKey: "AIzaSyFAKE-google-key_for_ssl_domains01",
  authDomain: "billing-dashboard.example.com",
  projectId: "billing-dashboard",
};

export const analyticsApp = initializeApp(firebaseConfig);

export class InvoiceClient {
  private readonly clientSecret: string = "cs_FAKE_9f8e7d6c5b4a";

  constructor(private readonly baseUrl: string) {}

  async listUnpaid(customerId: string): Promise<Invoice[]> {
    const url = `${this.baseUrl}/invoices?customer=${customerId}&paid=false`;
    const response = await fetch(url, { headers: { "X-Client-Secret": this.clientSecret } });
    const rows: Array<Omit<Invoice, "issuedAt"> & { issuedAt: string }> = await response.json();
    return rows.map((row) => ({ ...row, issuedAt: new Date(row.issuedAt) }));
  }

  totalOutstanding(invoices: Invoice[]): number {
    return invoices.filter((inv) => !inv.paid).reduce((sum, inv) => sum + inv.totalCents, 0);
  }
}
