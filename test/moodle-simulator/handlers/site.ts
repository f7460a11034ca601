import { wsErrors } from '../errors';
import { p, validateParams, withDefault } from '../params';
import type { SimCourse } from '../state';
import { fullname, type WsContext, type WsHandler } from './context';

export const MOODLE_RELEASE = '5.0.6+ (Build: 20260403)';
export const MOODLE_VERSION = '2025041406.11';

/** Versions as core_webservice_get_site_info reports them (recorded): core vs plugin functions. */
export function functionVersion(name: string): string {
  return name.startsWith('core_') ? MOODLE_VERSION : '2025041400';
}

/** Shape and constants recorded from Moodle 5.0.6; user fields and URLs follow the simulator. */
export const coreWebserviceGetSiteInfo: WsHandler = (ctx: WsContext, raw) => {
  validateParams({ serviceshortnames: p.multiple(p.raw(), withDefault([])) }, raw);
  const user = ctx.tokenUser;
  const feature = (name: string, value: number) => ({ name, value });
  return {
    sitename: 'Test',
    username: user.username,
    firstname: user.firstname,
    lastname: user.lastname,
    fullname: fullname(user),
    lang: 'en',
    userid: user.id,
    siteurl: ctx.baseUrl,
    userpictureurl: `${ctx.baseUrl}/theme/image.php/boost/core/1795628587/u/f1`,
    functions: ctx.serviceFunctions.map((name) => ({ name, version: functionVersion(name) })),
    downloadfiles: 0,
    uploadfiles: 0,
    release: MOODLE_RELEASE,
    version: MOODLE_VERSION,
    mobilecssurl: '',
    advancedfeatures: [
      feature('usecomments', 1),
      feature('usetags', 1),
      feature('enablenotes', 1),
      feature('messaging', 1),
      feature('enableblogs', 1),
      feature('enablecompletion', 1),
      feature('enablebadges', 1),
      feature('messagingallusers', 0),
      feature('enablecustomreports', 1),
      feature('enableglobalsearch', 0),
      feature('mnet_dispatcher_mode', 0),
      feature('enablecompetencies', 1),
    ],
    usercanmanageownfiles: true,
    userquota: 104857600,
    usermaxuploadfilesize: 67108864,
    userhomepage: 1,
    userprivateaccesskey: ctx.userPrivateAccessKey,
    siteid: 1,
    sitecalendartype: 'gregorian',
    usercalendartype: 'gregorian',
    userissiteadmin: false,
    theme: 'boost',
    limitconcurrentlogins: 0,
    policyagreed: 0,
  };
};

function courseInfo(c: SimCourse): Record<string, unknown> {
  return {
    id: c.id,
    fullname: c.fullname,
    displayname: c.fullname,
    shortname: c.shortname,
    categoryid: 1,
    categoryname: 'Category 1',
    sortorder: 10000 + c.id,
    summary: '',
    summaryformat: 1,
    summaryfiles: [],
    overviewfiles: [],
    showactivitydates: true,
    showcompletionconditions: true,
    contacts: [],
    enrollmentmethods: ['manual'],
    idnumber: c.idnumber,
    format: 'topics',
    showgrades: 1,
    newsitems: 5,
    startdate: c.timemodified,
    enddate: 0,
    maxbytes: 0,
    showreports: 0,
    visible: 1,
    groupmode: 0,
    groupmodeforce: 0,
    defaultgroupingid: 0,
    enablecompletion: 1,
    completionnotify: 0,
    lang: '',
    theme: '',
    marker: 0,
    legacyfiles: 0,
    calendartype: '',
    timecreated: c.timemodified,
    timemodified: c.timemodified,
    requested: 0,
    cacherev: c.timemodified,
    filters: [],
    courseformatoptions: [],
  };
}

/**
 * course/externallib.php get_courses_by_field: field '' (all), id, ids, shortname, idnumber.
 * Course objects are a trimmed version of Moodle's (not recorded); no match → empty list.
 */
export const coreCourseGetCoursesByField: WsHandler = (ctx, raw) => {
  const { field, value } = validateParams<{ field: string; value: string }>(
    { field: p.alpha(withDefault('')), value: p.raw(withDefault('')) },
    raw,
  );
  const all = [...ctx.state.courses.values()].sort((a, b) => a.id - b.id);
  let courses: SimCourse[];
  switch (field) {
    case '':
      courses = all;
      break;
    case 'id':
      if (!/^\d+$/.test(value)) throw wsErrors.invalidParameter();
      courses = all.filter((c) => c.id === Number(value));
      break;
    case 'ids': {
      const ids = value.split(',').map((v) => Number(v.trim()));
      courses = all.filter((c) => ids.includes(c.id));
      break;
    }
    case 'shortname':
      courses = all.filter((c) => c.shortname === value);
      break;
    case 'idnumber':
      courses = all.filter((c) => c.idnumber === value);
      break;
    case 'category':
    case 'sectionid':
      courses = [];
      break;
    default:
      throw wsErrors.invalidParameter('Invalid field name');
  }
  return { courses: courses.map(courseInfo), warnings: [] };
};
