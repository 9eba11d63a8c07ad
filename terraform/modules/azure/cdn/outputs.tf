output "domain" {
  description = "The name browsers fetch static files and media from: cdn.domain when given, else the endpoint's *.azurefd.net name; \"\" without a profile."
  value       = local.custom_domain ? var.domain : try(azurerm_cdn_frontdoor_endpoint.this[0].host_name, "")
}

output "endpoint_host_name" {
  description = "The endpoint's own *.azurefd.net name (what a custom name's CNAME points at); \"\" without one."
  value       = try(azurerm_cdn_frontdoor_endpoint.this[0].host_name, "")
}

output "profile_id" {
  description = "ID of the Front Door profile (for purges); \"\" without one."
  value       = try(azurerm_cdn_frontdoor_profile.this[0].id, "")
}
