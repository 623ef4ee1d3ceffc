// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import {mailModels} from "@mail/../tests/mail_test_helpers";
import {defineModels} from "@web/../tests/web_test_helpers";

import {CrmNotification} from "./mock_server/crm_notification";

export const crmNotificationsModels = {...mailModels, CrmNotification};

export function defineCrmNotificationsModels() {
    defineModels(crmNotificationsModels);
}
