output "resource_group_name" {
  description = "Resource group of the state account (backend resource_group_name)."
  value       = local.resource_group_name
}

output "storage_account_name" {
  description = "State storage account (backend storage_account_name)."
  value       = azurerm_storage_account.this.name
}

output "container_name" {
  description = "State container (backend container_name)."
  value       = azurerm_storage_container.this.name
}

output "backend_config" {
  description = "Settings for a backend \"azurerm\" block; add key = \"<environment>.tfstate\" per environment."
  value = {
    resource_group_name  = local.resource_group_name
    storage_account_name = azurerm_storage_account.this.name
    container_name       = azurerm_storage_container.this.name
    use_azuread_auth     = true
  }
}
