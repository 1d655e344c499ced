// The 404 page: nothing to load; marks the page ready like every other page.
import { page } from "../layout.js";

page(async () => {});
