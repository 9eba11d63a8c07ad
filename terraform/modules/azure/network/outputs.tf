output "vnet_id" {
  description = "ID of the virtual network."
  value       = azurerm_virtual_network.this.id
}

output "vnet_name" {
  description = "Name of the virtual network."
  value       = azurerm_virtual_network.this.name
}

output "subnet_ids" {
  description = "Subnet IDs by tier: gateway, app, worker, data, bastion, and mysql when the delegated subnet exists."
  value       = local.subnet_ids
}

output "subnet_prefixes" {
  description = "Subnet CIDRs by tier (gateway, app, worker, data, mysql, bastion); mysql is reserved even when its subnet is not created."
  value       = local.subnet_prefixes
}

output "network_security_group_ids" {
  description = "Network security group IDs by tier."
  value       = { for k, nsg in azurerm_network_security_group.this : k => nsg.id }
}

output "nat_public_ip" {
  description = "Public address the hosts' outbound traffic leaves from (empty without a NAT gateway); useful for allow-lists of SMTP relays and mirrors."
  value       = try(azurerm_public_ip.nat[0].ip_address, "")
}
