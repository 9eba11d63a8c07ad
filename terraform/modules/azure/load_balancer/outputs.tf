output "address" {
  description = "Public IPv4 address of the gateway (for A records)."
  value       = azurerm_public_ip.this.ip_address
}

output "dns_name" {
  description = "Azure DNS name of the gateway's public IP (for CNAME records)."
  value       = azurerm_public_ip.this.fqdn
}

output "backend_pool_id" {
  description = "ID of the backend address pool the app hosts' network interfaces join."
  value       = one([for p in azurerm_application_gateway.this.backend_address_pool : p.id if p.name == "app"])
}

output "id" {
  description = "ID of the Application Gateway."
  value       = azurerm_application_gateway.this.id
}

output "key_vault_id" {
  description = "ID of the Key Vault that holds the TLS certificate."
  value       = azurerm_key_vault.this.id
}

output "certificate_name" {
  description = "Name of the certificate in the vault (hosts under tls_mode = acme import new versions under this name)."
  value       = "${var.name}-tls"
}
