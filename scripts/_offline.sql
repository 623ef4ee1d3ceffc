-- Keep a local Odoo from calling Odoo SA's online services (IAP: partner
-- autocomplete, enrichment, SMS; the publisher warranty ping): this machine
-- and CI only reach package registries. Port 9 on loopback refuses at once.
-- (SMS in tests goes through the sms module with its IAP call intercepted.)
INSERT INTO ir_config_parameter (key, value, create_uid, create_date, write_uid, write_date)
SELECT key, 'http://127.0.0.1:9', 1, now() at time zone 'UTC', 1, now() at time zone 'UTC'
  FROM unnest(ARRAY['iap.endpoint', 'iap.partner_autocomplete.endpoint', 'enrich.endpoint',
                    'sms.endpoint', 'snailmail.endpoint', 'odoo_ocn.endpoint']) AS key
ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value;
UPDATE ir_cron SET active = FALSE
 WHERE id IN (SELECT res_id FROM ir_model_data
               WHERE module = 'mail' AND name = 'ir_cron_module_update_notification');
