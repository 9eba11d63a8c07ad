output "hosts" {
  description = "One object per host: name, address (private) and public_address (\"\" without a public IP), the shape of the stack's host_groups items."
  value = [
    for i, vm in azurerm_linux_virtual_machine.this : {
      name           = vm.name
      address        = azurerm_network_interface.this[i].private_ip_address
      public_address = var.public_ip ? azurerm_public_ip.this[i].ip_address : ""
    }
  ]
}

output "ids" {
  description = "Virtual machine IDs."
  value       = azurerm_linux_virtual_machine.this[*].id
}

output "network_interface_ids" {
  description = "Network interface IDs, in host order."
  value       = azurerm_network_interface.this[*].id
}

output "private_addresses" {
  description = "Private addresses, in host order."
  value       = azurerm_network_interface.this[*].private_ip_address
}
