# sample-mapping.jq - the item the sample's processor wrote to click-stream-table:
# capitalised attribute names, values copied unchanged, missing fields omitted.
#   cs-store -t click-stream-table -m @scripts/sample-mapping.jq
{
  IP: .ip,
  Timestamp: .timestamp,
  Browser: .browser,
  URL: .url,
  Referrer: .referrer,
  OS: .os,
  Country: .country,
  Language: .language
}
| del(.[] | nulls)
