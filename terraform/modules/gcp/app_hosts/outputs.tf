output "hosts" {
  description = "One item per host: { name, address, public_address } (public_address is \"\" without a public IP)."
  value = [
    for i in google_compute_instance.this : {
      name           = i.name
      address        = i.network_interface[0].network_ip
      public_address = try(i.network_interface[0].access_config[0].nat_ip, "")
    }
  ]
}

output "instance_self_links" {
  description = "Self links of the instances."
  value       = google_compute_instance.this[*].self_link
}

output "instance_group_self_links" {
  description = "Self links of the per-zone instance groups (empty unless create_instance_group)."
  value       = google_compute_instance_group.this[*].self_link
}

output "network_tag" {
  description = "The role's network tag every host carries."
  value       = "${var.environment}-${var.role}"
}
