output "account_name" {
  description = "Name of the storage account."
  value       = azurerm_storage_account.this.name
}

output "account_id" {
  description = "ID of the storage account."
  value       = azurerm_storage_account.this.id
}

output "blob_endpoint" {
  description = "Blob service endpoint, https://<account>.blob.core.windows.net/."
  value       = azurerm_storage_account.this.primary_blob_endpoint
}

output "containers" {
  description = "Container references by name, each \"<account>/<container>\" (a container name alone does not locate it on Azure)."
  value       = { for name, c in azurerm_storage_container.this : name => "${azurerm_storage_account.this.name}/${c.name}" }
}

output "identity_id" {
  description = "Resource ID of the user-assigned managed identity to attach to the app and worker hosts."
  value       = azurerm_user_assigned_identity.this.id
}

output "identity_client_id" {
  description = "Client ID of that identity (what AZURE_CLIENT_ID / ManagedIdentityCredential takes on the hosts)."
  value       = azurerm_user_assigned_identity.this.client_id
}

output "identity_principal_id" {
  description = "Object (principal) ID of that identity, for further role assignments."
  value       = azurerm_user_assigned_identity.this.principal_id
}
